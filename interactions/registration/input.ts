// Sign-up form fields.
import { z } from 'zod';
import { emailField, passwordField } from '../shared/input.ts';

export const registrationForm = z.object({ email: emailField, password: passwordField });
/** Passwordless: no password field, read as password null. */
export const passkeyRegistrationForm = z.object({ email: emailField }).transform((form) => ({ ...form, password: null }));
