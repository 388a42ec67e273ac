// What the page and the dataset worker both hold of brought data: which files are images, and the
// refusal every data change ends in when it changes nothing.

const IMAGE_TYPES = /\.(png|jpe?g|webp)$/i;

/** A refusal to show as it is: the message says what was wrong and what the limit is. */
export class DatasetRefused extends Error {}

export const isImage = (file) => IMAGE_TYPES.test(file.name) || /^image\/(png|jpeg|webp)$/.test(file.type);

/** A file name that is an image's, for a folder's entries (which have no type until read). */
export const isImageName = (name) => IMAGE_TYPES.test(name);

/** A refusal's sentence, with what every refusal of data promises. */
export const nothingChanged = (sentence) => `${sentence} Nothing was changed.`;
