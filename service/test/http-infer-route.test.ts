import { matchInferRoute } from '../src/http/infer-handler';

describe('matchInferRoute', () => {
  it('takes model and version from the URL, decoding only segments that are percent-encoded', () => {
    expect(matchInferRoute('/v2/models/breast-cancer/infer')).toEqual({
      model: 'breast-cancer',
      version: undefined,
    });
    expect(matchInferRoute('/v2/models/my%20model/versions/2/infer?x=1')).toEqual({
      model: 'my model',
      version: '2',
    });
    expect(matchInferRoute('/v2/models/m/versions/v%2B1/infer')).toEqual({ model: 'm', version: 'v+1' });
  });

  it('leaves a malformed escape and other paths to the API router', () => {
    expect(matchInferRoute('/v2/models/bad%E0%A4%A/infer')).toBeUndefined();
    expect(matchInferRoute('/v2/models/m/ready')).toBeUndefined();
    expect(matchInferRoute(undefined)).toBeUndefined();
  });
});
