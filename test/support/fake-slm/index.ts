export * from './scripted-server';
export * from './openai-server';
export * from './anthropic-server';
export * from './behaving-server';
export * from './agent-behaviour';
export * from './schema-answer';
