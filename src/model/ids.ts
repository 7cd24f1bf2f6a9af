/** Names used across layers. Plain strings, named for what they identify. */
export type NodeName = string;
export type NodeId = string;
export type ResourceId = string;
export type ConstraintId = string;
/** A clone instance such as `web:2`, or a primitive id where there is one instance. */
export type InstanceId = string;
