export { loadCibXml, loadCibXmlWithWarnings, normalizeRole, isTrue, type CibLoadResult, type CibLoadOptions } from './load.js';
