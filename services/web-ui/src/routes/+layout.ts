import i18next from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { i18nNamespaces } from '@temporalio/ui/i18n/index';
import resources from '@temporalio/ui/i18n/locales/index';

// A client-only app: every page talks to the API from the browser.
export const ssr = false;
export const prerender = false;

export const load = () => {
  // The UI's components translate through i18next; English unless the browser asks otherwise.
  void i18next.use(LanguageDetector).init({
    fallbackLng: 'en',
    load: 'languageOnly',
    ns: i18nNamespaces,
    defaultNS: 'common',
    detection: { order: ['querystring', 'localStorage', 'navigator'], caches: ['localStorage'] },
    resources,
  });
};
