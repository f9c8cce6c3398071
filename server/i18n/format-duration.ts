// Locale-aware "45 seconds" / "1 minute" / "2 hours" for waits, so copy never says "1 seconds".
import { getDefaultLanguage, intlLocale } from './locales/index.ts';
import { isSupportedLanguage } from './messages.ts';

/** Rounds up (never promise a shorter wait than the real one); at least 1 second. */
export function formatDuration(lang: string, seconds: number): string {
  const total = Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  const [value, unit] =
    total < 90 ? [total, 'second'] : total < 90 * 60 ? [Math.ceil(total / 60), 'minute'] : [Math.ceil(total / 3600), 'hour'];
  const language = isSupportedLanguage(lang) ? lang : getDefaultLanguage();
  return new Intl.NumberFormat(intlLocale(language), { style: 'unit', unit, unitDisplay: 'long' }).format(value);
}
