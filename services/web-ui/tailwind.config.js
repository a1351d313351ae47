import defaultTheme from 'tailwindcss/defaultTheme';
// The package exports ESM only and Tailwind loads its config as CommonJS: import the file itself.
import temporal, { textStyles } from '../../node_modules/@temporalio/ui/dist/theme/plugin.js';

// The UI's components carry Tailwind classes and the Temporal theme plugin defines its colours and
// text styles, so the library's own files are scanned beside ours.
export default {
  content: ['./src/**/*.{html,js,svelte,ts}', '../../node_modules/@temporalio/ui/dist/**/*.{js,svelte}'],
  darkMode: ['selector', '[data-theme="dark"]'],
  theme: {
    fontFamily: {
      sans: ['Inter', ...defaultTheme.fontFamily.sans],
      mono: ['Noto Sans Mono', ...defaultTheme.fontFamily.mono],
    },
    extend: { animation: { 'spin-slow': 'spin 3s linear infinite' }, zIndex: { 100: '100' } },
  },
  plugins: [temporal, textStyles],
};
