#!/usr/bin/env node
// `npm run demo`: a 3-node Vigil cluster in network namespaces with a web service behind a
// virtual IP. Shows the cluster status and what a client sees, kills the active node (kill -9 of
// all its processes and its cable pulled), shows the failover, brings the node back, and keeps
// running until Ctrl-C. Everything it created is removed on exit, also on error or interrupt.
//
//   npm run demo             interactive; Ctrl-C to stop
//   npm run demo -- --once   run the failover scenario once and exit (0: the service came back
//                            on another node and no two nodes ever held the address)
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const once = process.argv.includes('--once');
const dist = join(root, 'dist/test/lab/cluster.js');

if (process.getuid?.() !== 0) {
  console.error('demo: network namespaces need root (run it as root, or in a container with CAP_NET_ADMIN and CAP_SYS_ADMIN)');
  process.exit(2);
}
if (!existsSync(dist)) {
  console.error('demo: not built yet; run `npm ci` (or `npm run build`) first');
  process.exit(2);
}

const { createLabCluster, failoverGap, monotonicMs } = await import(dist);
const { formatStatus } = await import(join(root, 'dist/src/api/format.js'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
const say = (msg) => console.log(`${stamp()} ${msg}`);
const indent = (text) => text.trimEnd().split('\n').map((l) => `        ${l}`).join('\n');

let cluster;
let cleaning = false;
async function cleanup(code) {
  if (cleaning) return;
  cleaning = true;
  if (cluster) {
    say('cleaning up: stopping every process, deleting the namespaces and files');
    await cluster.destroy().catch((e) => console.error(`demo: cleanup: ${e.message}`));
    say(`removed (lab prefix ${cluster.lab.prefix})`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void cleanup(0));
process.on('SIGTERM', () => void cleanup(0));

/** Watch the prober's results and narrate what the client sees. */
function narrateClient(prober) {
  let seen = 0;
  let lastHost;
  let failingSince;
  let okCount = 0;
  let failCount = 0;
  let lastOkT = -Infinity;
  const timer = setInterval(() => {
    const ps = prober.probes;
    for (; seen < ps.length; seen++) {
      const p = ps[seen];
      if (p.ok) {
        okCount++;
        lastOkT = Math.max(lastOkT, p.t);
        if (failingSince !== undefined) {
          say(`client: answered again, by ${p.host}, after ${Math.round(p.t - failingSince)} ms without an answer`);
          failingSince = undefined;
        } else if (p.host !== lastHost) say(`client: GET http://${cluster.vip}:8080/ → answered by ${p.host}`);
        lastHost = p.host;
      } else {
        failCount++;
        // A probe sent before the last answer and reported late (its timeout) is old news.
        if (failingSince === undefined && p.t > lastOkT) {
          failingSince = p.t;
          say(`client: no answer (${p.error})`);
        }
      }
    }
  }, 50);
  return {
    summary: () => `client: ${okCount} answers, ${failCount} failed probes (one every 20 ms)`,
    stop: () => clearInterval(timer),
  };
}

async function showStatus(host) {
  try {
    console.log(indent(formatStatus(await cluster.status(host))));
  } catch (e) {
    say(`(status from ${host}: ${e.message})`);
  }
}

try {
  say('creating 3 hosts (n1, n2, n3) and a client in network namespaces; addresses in 192.0.2.0/24, no default route');
  cluster = await createLabCluster({ hosts: ['n1', 'n2', 'n3'] });
  say(`lab prefix ${cluster.lab.prefix}; virtual IP ${cluster.vip}; configuration ${cluster.configFile}`);
  say('starting vigild on each host');
  await cluster.startAll();
  const holder = await cluster.waitForHolder({ timeoutMs: 60_000 });
  say(`${holder} holds ${cluster.vip}; the web service answers on every host, the address decides who is reached`);
  await sleep(1000);
  await showStatus(holder);
  const prober = await cluster.startProber(20);
  const client = narrateClient(prober);
  await sleep(3000);

  const others = cluster.hosts.filter((h) => h !== holder);
  say(`CRASH: kill -9 of every process on ${holder}, and its link down`);
  const tKill = monotonicMs();
  await cluster.crash(holder);
  const next = await cluster.waitForHolder({ among: others, timeoutMs: 60_000 });
  await cluster.waitFor('the client to be served again', async () => prober.since(tKill).some((p) => p.ok && p.host !== holder), 30_000);
  const gap = failoverGap(prober.probes, holder, tKill);
  say(`FAILOVER: ${next} holds ${cluster.vip}; the client saw ${Math.round(gap.gapMs)} ms without an answer`);
  await sleep(1500);
  await showStatus(next);
  await cluster.observer.stop();
  const overlaps = cluster.observer.overlaps.length;
  say(`observer: ${cluster.observer.rounds} checks of every host, ${overlaps === 0 ? 'never two holders of the address' : `${overlaps} instants with TWO holders`}`);
  say(client.summary());
  if (once) {
    client.stop();
    await prober.stop();
    console.log(JSON.stringify({ demo: 'failover', from: holder, to: next, gapMs: Math.round(gap.gapMs), overlaps, prefix: cluster.lab.prefix }));
    await cleanup(overlaps === 0 && Number.isFinite(gap.gapMs) ? 0 : 1);
  }

  say(`bringing ${holder} back: address removed from its interface, link up, vigild started`);
  await cluster.revive(holder);
  await cluster.start(holder);
  await cluster.waitFor(`${holder} to rejoin`, async () => (await cluster.status(next)).nodes.find((n) => n.name === holder)?.state === 'online', 60_000);
  say(`${holder} rejoined; ${cluster.vip} stays on ${next} (resource-stickiness)`);
  await sleep(1000);
  await showStatus(next);
  say('running; Ctrl-C to stop and clean up');
  for (;;) {
    await sleep(10_000);
    say(client.summary());
  }
} catch (e) {
  console.error(`demo: ${e.stack ?? e}`);
  await cleanup(1);
}
