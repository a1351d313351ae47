/** Ids of the built-in tools (fixed cross-team contract). Pure, so workflows can import it. */
export const BUILTIN_TOOL_IDS = {
  workspaceRead: 'workspace.read',
  workspaceWrite: 'workspace.write',
  workspaceList: 'workspace.list',
  httpRequest: 'http.request',
  memoryRecall: 'memory.recall',
  memoryRemember: 'memory.remember',
  delegate: 'delegate',
  finish: 'finish',
} as const;

export type BuiltinToolId = (typeof BUILTIN_TOOL_IDS)[keyof typeof BUILTIN_TOOL_IDS];

/** Tools the persona workflow handles itself; `executeTool` refuses them. */
export const WORKFLOW_HANDLED_TOOL_IDS: readonly string[] = [
  BUILTIN_TOOL_IDS.delegate,
  BUILTIN_TOOL_IDS.finish,
];
