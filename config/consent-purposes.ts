// The program's purpose catalogue (issue 17 item 1): what members may consent to (marketing email, profiling,
// sharing with partners, ...), each with a version and a localised title and text, plus the localised "what
// changed" of each terms version. Declared in CONSENT_PURPOSES_FILE (checked at boot), else DEFAULT_PURPOSES.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Texts per page language; English is required and is what a missing language falls back to. */
const localised = z.object({
  en: z.string().trim().min(1).max(2000),
  es: z.string().trim().min(1).max(2000).optional(),
  'pt-BR': z.string().trim().min(1).max(2000).optional(),
  fr: z.string().trim().min(1).max(2000).optional(),
  pl: z.string().trim().min(1).max(2000).optional(),
}).strict();

export type LocalisedText = z.infer<typeof localised>;

/** `terms` is the id the terms acceptance is recorded under: no purpose may take it. */
export const TERMS_PURPOSE = 'terms';

const purpose = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]{1,47}$/, 'expected a lower-case id of letters, digits and _').refine((id) => id !== TERMS_PURPOSE, `"${TERMS_PURPOSE}" is reserved for the terms`),
  version: z.number().int().min(1),
  /** Marketing purposes (offers, profiling for offers, sharing for partners' marketing) can never be required. */
  marketing: z.boolean().default(true),
  /**
   * A condition of the service the member is told about; never true for a marketing purpose (GDPR art. 7(4):
   * consent to marketing is not a condition of the loyalty program). The member may still answer no.
   */
  required: z.boolean().default(false),
  title: localised,
  text: localised,
}).strict().refine((p) => !(p.marketing && p.required), { message: 'a marketing purpose cannot be required' });

export type ConsentPurpose = z.infer<typeof purpose>;

const catalogueFile = z.object({
  purposes: z.array(purpose).min(1).max(50),
  /** What changed in each terms version ("2": {"en": "..."}), shown by the terms prompt. */
  terms_changes: z.record(z.string().regex(/^[1-9][0-9]{0,8}$/, 'expected a terms version number'), localised).default({}),
}).strict().refine((file) => new Set(file.purposes.map((p) => p.id)).size === file.purposes.length, { message: 'a purpose id is declared twice' });

export interface PurposeCatalogue {
  readonly purposes: readonly ConsentPurpose[];
  readonly termsChanges: Readonly<Record<string, LocalisedText>>;
}

/** The text in `language`, else English. */
export function textIn(text: LocalisedText, language: string): string {
  return text[language as keyof LocalisedText] ?? text.en;
}

/** Parses the JSON of CONSENT_PURPOSES_FILE; throws an Error naming the first wrong field. */
export function parsePurposeCatalogue(json: unknown): PurposeCatalogue {
  const parsed = catalogueFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  return Object.freeze({ purposes: Object.freeze(parsed.data.purposes), termsChanges: Object.freeze(parsed.data.terms_changes) });
}

export function loadPurposeCatalogue(path: string | undefined): PurposeCatalogue {
  return path ? parsePurposeCatalogue(JSON.parse(readFileSync(path, 'utf8'))) : DEFAULT_PURPOSES;
}

/** Without CONSENT_PURPOSES_FILE: the five purposes most loyalty programs ask for (config/consent-purposes.example.json). */
export const DEFAULT_PURPOSES: PurposeCatalogue = parsePurposeCatalogue({
  purposes: [
    {
      // Titles avoid the word "email": the sign-up form's address field is labelled so.
      id: 'marketing_email', version: 1, marketing: true, required: false,
      title: { en: 'Offers to your inbox', es: 'Ofertas en tu bandeja de entrada', 'pt-BR': 'Ofertas na sua caixa de entrada', fr: 'Offres dans votre boîte de réception', pl: 'Oferty w skrzynce odbiorczej' },
      text: {
        en: 'We send you offers and news of the program by email, at most weekly.',
        es: 'Te enviamos ofertas y novedades del programa por correo, como máximo una vez por semana.',
        'pt-BR': 'Enviamos ofertas e novidades do programa por e-mail, no máximo uma vez por semana.',
        fr: 'Nous vous envoyons des offres et des nouvelles du programme par e-mail, au plus une fois par semaine.',
        pl: 'Wysyłamy oferty i nowości programu e-mailem, najwyżej raz w tygodniu.',
      },
    },
    {
      id: 'marketing_sms', version: 1, marketing: true, required: false,
      title: { en: 'Offers by text message', es: 'Ofertas por SMS', 'pt-BR': 'Ofertas por SMS', fr: 'Offres par SMS', pl: 'Oferty SMS-em' },
      text: {
        en: 'We send you offers by text message to your verified mobile number, at most twice a month.',
        es: 'Te enviamos ofertas por SMS a tu celular verificado, como máximo dos veces al mes.',
        'pt-BR': 'Enviamos ofertas por SMS para o seu celular verificado, no máximo duas vezes por mês.',
        fr: 'Nous vous envoyons des offres par SMS sur votre mobile vérifié, au plus deux fois par mois.',
        pl: 'Wysyłamy oferty SMS-em na zweryfikowany numer telefonu, najwyżej dwa razy w miesiącu.',
      },
    },
    {
      id: 'profiling', version: 1, marketing: true, required: false,
      title: { en: 'Personalised offers', es: 'Ofertas personalizadas', 'pt-BR': 'Ofertas personalizadas', fr: 'Offres personnalisées', pl: 'Spersonalizowane oferty' },
      text: {
        en: 'We use your purchases and points history to choose the offers we show you.',
        es: 'Usamos tus compras y tu historial de puntos para elegir las ofertas que te mostramos.',
        'pt-BR': 'Usamos suas compras e seu histórico de pontos para escolher as ofertas que mostramos a você.',
        fr: 'Nous utilisons vos achats et l’historique de vos points pour choisir les offres que nous vous montrons.',
        pl: 'Na podstawie zakupów i historii punktów wybieramy pokazywane oferty.',
      },
    },
    {
      id: 'partner_sharing', version: 1, marketing: true, required: false,
      title: { en: 'Sharing with partners', es: 'Compartir con socios', 'pt-BR': 'Compartilhar com parceiros', fr: 'Partage avec les partenaires', pl: 'Udostępnianie partnerom' },
      text: {
        en: 'Partner brands of the program may use your name and email to send you their own offers.',
        es: 'Las marcas socias del programa pueden usar tu nombre y correo para enviarte sus propias ofertas.',
        'pt-BR': 'As marcas parceiras do programa podem usar seu nome e e-mail para enviar as próprias ofertas.',
        fr: 'Les marques partenaires du programme peuvent utiliser votre nom et votre e-mail pour vous envoyer leurs offres.',
        pl: 'Marki partnerskie programu mogą używać imienia i adresu e-mail, aby wysyłać własne oferty.',
      },
    },
    {
      id: 'analytics', version: 1, marketing: false, required: false,
      title: { en: 'Usage statistics', es: 'Estadísticas de uso', 'pt-BR': 'Estatísticas de uso', fr: 'Statistiques d’utilisation', pl: 'Statystyki korzystania' },
      text: {
        en: 'We measure how you use our pages and apps to improve them.',
        es: 'Medimos cómo usas nuestras páginas y apps para mejorarlas.',
        'pt-BR': 'Medimos como você usa nossas páginas e apps para melhorá-los.',
        fr: 'Nous mesurons votre utilisation de nos pages et applications pour les améliorer.',
        pl: 'Mierzymy sposób korzystania z naszych stron i aplikacji, aby je ulepszać.',
      },
    },
  ],
});
