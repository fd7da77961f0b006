export class AccessTokenDto {
  accessToken: string;
  /** Always `Bearer`. */
  tokenType: 'Bearer';
  /** Lifetime of the token in seconds. */
  expiresIn: number;
}
