// The OAuth error code of a failed openid-client call, whether it came in the body or in WWW-Authenticate.
export async function oauthError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (caught) {
    const error = caught as { error?: string; cause?: unknown };
    if (error.error) return error.error;
    if (Array.isArray(error.cause)) {
      const challenge = error.cause[0] as { parameters?: { error?: string } } | undefined;
      return challenge?.parameters?.error;
    }
    return undefined;
  }
  throw new Error('expected the call to fail');
}
