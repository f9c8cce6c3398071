// splitCardName: the old program's single name field read as given and family names, never guessed beyond that.
import { splitCardName } from './imported-member-rules.ts';

describe('splitCardName', () => {
  it.each([
    ['Pat Oldcard', { givenName: 'Pat', familyName: 'Oldcard' }],
    ['  Ana   García  Márquez ', { givenName: 'Ana', familyName: 'García Márquez' }],
    ['Jan van der Berg', { givenName: 'Jan', familyName: 'van der Berg' }],
    ['Smith, John', { givenName: 'John', familyName: 'Smith' }],
    ['O\'Brien,  Mary Ann ', { givenName: 'Mary Ann', familyName: 'O\'Brien' }],
    ['Prince', { givenName: 'Prince' }],
  ])('reads %j', (name, expected) => {
    expect(splitCardName(name)).toEqual(expected);
  });

  it.each(['', '   ', ',', 'Smith,', ', John', 'a, b, c'])('gives nothing for %j', (name) => {
    expect(splitCardName(name)).toBeUndefined();
  });
});
