export * from './scripted-server';
export * from './openai-server';
export * from './anthropic-server';
