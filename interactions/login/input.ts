// Sign-in form fields.
import { z } from 'zod';
import { emailField, passwordField } from '../shared/input.ts';

/** `webauthn` is set by passkey.js where the browser can make passkeys (only then is one offered). */
export const loginForm = z.object({ email: emailField, password: passwordField, webauthn: z.string().max(1).optional() });
