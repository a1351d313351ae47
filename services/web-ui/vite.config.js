import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// VITE_API is where the UI sends its /api/v1 calls: empty means "the origin that served the page",
// which is how the devserver serves both. The build target is the self-hosted (local) flavour.
process.env.VITE_API ??= '';
process.env.VITE_TEMPORAL_UI_BUILD_TARGET ??= 'local';

export default defineConfig({
  plugins: [sveltekit()],
  logLevel: 'warn',
  build: { chunkSizeWarningLimit: 8192 },
  // SvelteKit's server half (only used to analyse the routes of this client-only app) imports
  // `cookie` 0.6, and the repository root hoists another major of it: bundle kit's own copy.
  ssr: { noExternal: ['cookie'] },
});
