import { BadRequestException } from '@nestjs/common';
import { parseCropField } from './crop.dto';

describe(parseCropField.name, () => {
  it('reads the JSON text field of a multipart upload', () => {
    expect(parseCropField('{"x":10,"y":0,"width":320,"height":320}')).toEqual({ x: 10, y: 0, width: 320, height: 320 });
  });

  it('means no crop when the field is absent or empty', () => {
    expect(parseCropField(undefined)).toBeUndefined();
    expect(parseCropField('')).toBeUndefined();
  });

  it.each([
    ['not JSON', 'x=1'],
    ['not an object', '42'],
    ['null', 'null'],
    ['a missing edge', '{"x":0,"y":0,"width":10}'],
    ['a negative corner', '{"x":-1,"y":0,"width":10,"height":10}'],
    ['an empty square', '{"x":0,"y":0,"width":0,"height":0}'],
    ['fractions', '{"x":0.5,"y":0,"width":10,"height":10}'],
    ['an unknown field', '{"x":0,"y":0,"width":10,"height":10,"rotate":90}'],
  ])('refuses %s with a 400 naming the expected shape', (_name, value) => {
    let error: unknown;
    try {
      parseCropField(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).message).toMatch(/^crop must be/);
  });
});
