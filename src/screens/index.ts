/** Screen comparison: images, options, the comparison itself and reference files. */
export { checkImage, crop, decodePng, decodePpm, encodePng, readPng, writePng, type Image } from './image.js'
export { mergeOptions, parseSidecar, validateOptions, type Rect, type ScreenOptions } from './options.js'
export { compareImages, type CompareResult } from './compare.js'
export {
  checkAgainstReference,
  referencePath,
  resolveUpdateMode,
  writeArtifacts,
  type ReferenceCheck,
  type ReferenceFiles,
  type ReferencePaths,
  type UpdateMode,
} from './references.js'
export { blankImage, cloneImage, fillRect, type Rgb } from './draw.js'
