// Sign-in form fields.
import { z } from 'zod';
import { emailField, passwordField } from '../shared/input.ts';

export const loginForm = z.object({ email: emailField, password: passwordField });
