// The reflection bundle ships without typings; the engine only needs it as an opaque root.
declare module '@temporalio/proto/protos/json-module.js' {
  const root: unknown;
  export default root;
}
