import t from 'tap'
import { mergeOptions, parseSidecar, validateOptions } from '../../../src/screens/options.js'
import { BootcheckError } from '../../../src/errors/errors.js'

const F = 'screens/boot-menu.json'

t.test('a full sidecar parses', async t => {
  const json = JSON.stringify({
    mask: [{ x: 0, y: 0, width: 10, height: 5 }],
    region: { x: 5, y: 6, width: 7, height: 8 },
    threshold: 0.2,
    maxDiffPixels: 3,
    maxDiffPixelRatio: 0.01,
    margin: 4,
  })
  t.same(parseSidecar(json, F), {
    mask: [{ x: 0, y: 0, width: 10, height: 5 }],
    region: { x: 5, y: 6, width: 7, height: 8 },
    threshold: 0.2,
    maxDiffPixels: 3,
    maxDiffPixelRatio: 0.01,
    margin: 4,
  })
  t.same(parseSidecar('{}', F), {})
  t.same(parseSidecar('{"threshold": 0, "margin": 0, "maxDiffPixels": 0, "maxDiffPixelRatio": 1}', F), { threshold: 0, margin: 0, maxDiffPixels: 0, maxDiffPixelRatio: 1 })
})

t.test('every field is validated, naming the file and the field', async t => {
  const bad: [string, string][] = [
    ['{"mask": [{"x":0,"y":0,"width":1,"height":1}, {"x":0,"y":0,"width":0,"height":1}]}', 'mask[1].width must be a positive integer'],
    ['{"mask": [{"x":0,"y":0,"width":1,"height":1.5}]}', 'mask[0].height must be a positive integer'],
    ['{"mask": [{"x":-1,"y":0,"width":1,"height":1}]}', 'mask[0].x must be a non-negative integer'],
    ['{"mask": [{"x":0,"width":1,"height":1}]}', 'mask[0].y must be a non-negative integer'],
    ['{"mask": [{"x":0,"y":0,"w":1,"width":1,"height":1}]}', 'mask[0].w is not a rectangle field (x, y, width, height)'],
    ['{"mask": [[0,0,1,1]]}', 'mask[0] must be an object { x, y, width, height }'],
    ['{"mask": {"x":0,"y":0,"width":1,"height":1}}', 'mask must be an array of rectangles'],
    ['{"region": {"x":"0","y":0,"width":1,"height":1}}', 'region.x must be a non-negative integer'],
    ['{"region": null}', 'region must be an object { x, y, width, height }'],
    ['{"threshold": 1.5}', 'threshold must be a number from 0 to 1'],
    ['{"threshold": "0.1"}', 'threshold must be a number from 0 to 1'],
    ['{"maxDiffPixels": 2.5}', 'maxDiffPixels must be a non-negative integer'],
    ['{"maxDiffPixels": -1}', 'maxDiffPixels must be a non-negative integer'],
    ['{"maxDiffPixelRatio": -0.1}', 'maxDiffPixelRatio must be a number from 0 to 1'],
    ['{"margin": "4"}', 'margin must be a non-negative integer (pixels)'],
    ['{"treshold": 0.1}', "unknown field 'treshold'; the known fields are mask, region, threshold, maxDiffPixels, maxDiffPixelRatio, margin"],
    ['[]', 'the options must be a JSON object'],
    ['null', 'the options must be a JSON object'],
  ]
  for (const [json, why] of bad) {
    t.throws(() => parseSidecar(json, F), { name: 'BootcheckError', message: `${F}: ${why}` }, json)
  }
  t.throws(() => parseSidecar('{"threshold": 0.1,}', F), { name: 'BootcheckError', message: /^screens\/boot-menu\.json: not valid JSON: / })
})

t.test('validateOptions drops undefined fields and keeps only known ones', async t => {
  t.same(validateOptions({ threshold: undefined, margin: 2 }, 'call'), { margin: 2 })
  t.throws(() => validateOptions({ margin: 1.5 }, 'call'), BootcheckError)
})

t.test('mergeOptions: the call wins, masks concatenate', async t => {
  const a = { x: 0, y: 0, width: 1, height: 1 }
  const b = { x: 5, y: 5, width: 2, height: 2 }
  const sidecar = { mask: [a], threshold: 0.2, margin: 3, region: { x: 1, y: 1, width: 5, height: 5 } }
  t.same(mergeOptions(sidecar, { mask: [b], threshold: 0.05, maxDiffPixels: 7 }), {
    mask: [a, b],
    threshold: 0.05,
    margin: 3,
    region: { x: 1, y: 1, width: 5, height: 5 },
    maxDiffPixels: 7,
  })
  t.same(mergeOptions(sidecar, { region: b, threshold: undefined }), { mask: [a], threshold: 0.2, margin: 3, region: b })
  t.same(mergeOptions(undefined, { mask: [b] }), { mask: [b] })
  t.same(mergeOptions({ threshold: 0 }, undefined), { threshold: 0 })
  t.same(mergeOptions({}, { mask: [] }), {})
  t.same(sidecar.mask, [a], 'inputs are not modified')
})
