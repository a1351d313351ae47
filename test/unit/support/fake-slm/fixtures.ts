import type { JsonSchema } from '../../../support/fake-slm/schema-answer';

/** The sample transcript `npm start` writes (services/platform/sample-run.ts). */
export const TRANSCRIPT = `SomaGent launch sync — 12 November
Priya: The constitution service is live in staging. Decision: we ship the default constitution as is.
Marco: Pricing page still says beta. I'll update it by Friday.
Priya: Who owns the customer webinar? Nobody has picked it up.
Lee: I will, and I'll send invites on Monday.
Marco: Open question: do we support Azure OpenAI at launch? Needs a call with the partner team.
Priya: Decision: launch date stays 1 December.`;

export const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, 'null'] });

/** An object in OpenAI strict form: every property required, nothing else allowed. */
export const strictObject = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

/** The `finish` parameters of a step without a declared output. */
export const DEFAULT_FINISH: JsonSchema = {
  type: 'object',
  properties: { result: { type: 'string', description: 'The final answer' } },
  required: ['result'],
  additionalProperties: false,
};

/** The `extract` step's output of meetings.transcript-summary, as a strict `finish` schema. */
export const MEETING_EXTRACT: JsonSchema = strictObject({
  decisions: { type: 'array', items: { type: 'string' } },
  actionItems: {
    type: 'array',
    items: strictObject({
      owner: nullable({ type: 'string' }),
      task: nullable({ type: 'string' }),
      due: nullable({ type: 'string' }),
    }),
  },
  openQuestions: { type: 'array', items: { type: 'string' } },
});

/** A tool as the platform offers it, with its wire name. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
  strict?: boolean;
}

const relativePath = { type: 'string', minLength: 1, maxLength: 1024 };

export const READ_TOOL: ToolSpec = {
  name: 'workspace__read',
  description: 'Read a UTF-8 text file from the run workspace.',
  parameters: {
    type: 'object',
    properties: { path: relativePath },
    required: ['path'],
    additionalProperties: false,
  },
};

export const WRITE_TOOL: ToolSpec = {
  name: 'workspace__write',
  description: 'Create or overwrite a UTF-8 text file in the run workspace.',
  parameters: {
    type: 'object',
    properties: { path: relativePath, content: { type: 'string' } },
    required: ['path', 'content'],
    additionalProperties: false,
  },
};

export const REMEMBER_TOOL: ToolSpec = {
  name: 'memory__remember',
  description: 'Store a fact, decision or summary in long-term memory.',
  parameters: {
    type: 'object',
    properties: {
      content: { type: 'string', minLength: 1 },
      kind: { type: 'string', minLength: 1 },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['content'],
    additionalProperties: false,
  },
};

export const finishTool = (parameters: JsonSchema, strict = false): ToolSpec => ({
  name: 'finish',
  description: 'End the task with the final answer or deliverable.',
  parameters,
  ...(strict ? { strict } : {}),
});

export const EXTRACT_INSTRUCTION =
  'Read the transcript of "SomaGent launch sync" at meetings/transcript.txt. Extract the decisions, ' +
  'up to 15 action items (owner, task, due date if stated) and open questions.';

export const SUMMARY_INSTRUCTION = `Write meetings/summary.md for "SomaGent launch sync": a three-sentence overview, then
Decisions (
- Ship the default constitution as is
- Launch date stays 1 December
), Action items as a table
(
- {"owner":"Marco","task":"Update the pricing page","due":"Friday"}
- {"owner":"Lee","task":"Send the webinar invites","due":"Monday"}
) and Open questions
(
- Do we support Azure OpenAI at launch?
). Remember the action items so follow-up runs can check them.`;
