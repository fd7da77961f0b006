// thumbhash ships only as an ES module. Node >= 20.19 can require() it, but Jest's module loader cannot (and
// replaces `module.createRequire`), so load it through Node's own loader. With a Jest transform for
// node_modules/thumbhash this can become a plain `import * as thumbhash from 'thumbhash'`.
const nodeModule = process.getBuiltinModule('module');

export const thumbhash = nodeModule.createRequire(__filename)('thumbhash') as typeof import('thumbhash');
