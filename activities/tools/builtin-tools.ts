import { z } from 'zod';
import type { MemoryStore } from '../memory/memory-store';
import { BUILTIN_TOOL_IDS } from '../shared/tool-ids';
import type { HttpRequester } from './http-request';
import { defineTool, type ToolDescriptor } from './registry';
import type { Workspaces } from './workspace';

export { BUILTIN_TOOL_IDS };

const relativePath = z
  .string()
  .min(1)
  .max(1024)
  .describe('Path relative to the run workspace, e.g. "src/notes.md"; no "..", no leading "/"');

/**
 * The built-in tools. `delegate` and `finish` are descriptors only: the persona workflow acts on
 * them (start a sub-persona, end the loop) and the activity refuses to execute them.
 */
export function builtinTools({
  workspaces,
  httpRequest,
  memory,
}: {
  workspaces: Workspaces;
  httpRequest: HttpRequester;
  memory: MemoryStore;
}): ToolDescriptor[] {
  return [
    defineTool({
      id: BUILTIN_TOOL_IDS.workspaceRead,
      description: 'Read a UTF-8 text file from the run workspace.',
      args: z.object({ path: relativePath }).strict(),
      risk: 'low',
      category: 'filesystem',
      sideEffect: 'read',
      egress: false,
      execute: async (args, ctx) => (await workspaces.open(ctx.workspaceId)).read(args),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.workspaceWrite,
      description: 'Create or overwrite a UTF-8 text file in the run workspace (parent folders are created).',
      args: z
        .object({ path: relativePath, content: z.string().describe('The full new content of the file') })
        .strict(),
      risk: 'medium',
      category: 'filesystem',
      sideEffect: 'write',
      egress: false,
      execute: async (args, ctx) => (await workspaces.open(ctx.workspaceId)).write(args),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.workspaceList,
      description: 'List files and folders in the run workspace.',
      args: z
        .object({
          path: relativePath.optional().describe('Folder to list, relative to the workspace; default "."'),
          recursive: z.boolean().optional().describe('Include sub-folders; default false'),
        })
        .strict(),
      risk: 'low',
      category: 'filesystem',
      sideEffect: 'read',
      egress: false,
      execute: async (args, ctx) => (await workspaces.open(ctx.workspaceId)).list(args),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.httpRequest,
      description:
        'HTTP GET or POST to an allow-listed host (redirects are followed). Returns status, a few headers, the body text and the final URL.',
      args: z
        .object({
          url: z.string().min(1).max(4096).describe('Absolute http(s) URL'),
          method: z.enum(['GET', 'POST']).default('GET'),
          headers: z
            .record(z.string(), z.string().max(4096))
            .optional()
            .describe('Request headers; no credentials, no Host or other connection headers'),
          body: z
            .string()
            .max(1024 * 1024)
            .optional()
            .describe('Request body (POST only)'),
        })
        .strict(),
      risk: 'high',
      category: 'network',
      // Declared 'write' so every call is recorded (a retry sees the same answer); the gate
      // asks `writes`, where only POST changes state.
      sideEffect: 'write',
      writes: (args) => args.method === 'POST',
      egress: true,
      execute: (args, ctx) =>
        httpRequest.request(args, {
          guardrailHosts: ctx.guardrails.allowedHosts,
          signal: ctx.signal,
          idempotencyKey: ctx.idempotencyKey,
        }),
      precheck: (args, ctx) =>
        httpRequest.precheck(args, { guardrailHosts: ctx.guardrails.allowedHosts, signal: ctx.signal }),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.memoryRecall,
      description: 'Search long-term memory of this persona, capsule and tenant; best matches first.',
      args: z
        .object({
          query: z.string().min(1).max(2000),
          limit: z.number().int().min(1).max(50).optional(),
          kinds: z.array(z.string().min(1)).optional(),
        })
        .strict(),
      risk: 'low',
      category: 'memory',
      sideEffect: 'read',
      egress: false,
      execute: async (args, ctx) => ({
        memories: await memory.recall({
          scope: { tenant: ctx.tenant, capsule: ctx.capsule, persona: ctx.persona },
          query: args.query,
          limit: args.limit,
          kinds: args.kinds,
        }),
      }),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.memoryRemember,
      description:
        'Store a fact, decision or summary in long-term memory, optionally linked to earlier memories.',
      args: z
        .object({
          content: z.string().min(1).max(20_000),
          kind: z.string().min(1).max(64).optional(),
          tags: z.array(z.string().min(1).max(64)).max(20).optional(),
          links: z
            .array(z.object({ to: z.uuid(), relation: z.string().min(1).max(64) }))
            .max(20)
            .optional(),
        })
        .strict(),
      risk: 'low',
      category: 'memory',
      sideEffect: 'write',
      egress: false,
      idempotentByKey: true,
      execute: (args, ctx) =>
        memory.remember({
          scope: { tenant: ctx.tenant, capsule: ctx.capsule, persona: ctx.persona },
          ...args,
          idempotencyKey: ctx.idempotencyKey,
        }),
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.delegate,
      description: 'Hand a sub-task to another persona; its final answer comes back as this call’s result.',
      args: z
        .object({
          persona: z.string().min(1).describe('Persona template id, e.g. "qa"'),
          task: z.string().min(1).max(20_000).describe('What the sub-persona must do and deliver'),
        })
        .strict(),
      risk: 'medium',
      category: 'orchestration',
      sideEffect: 'write',
      egress: false,
    }),
    defineTool({
      id: BUILTIN_TOOL_IDS.finish,
      description: 'End the task with the final answer or deliverable.',
      args: z.object({ result: z.string().describe('The final answer') }).strict(),
      risk: 'low',
      category: 'orchestration',
      sideEffect: 'read',
      egress: false,
    }),
  ];
}
