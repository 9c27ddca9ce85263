/**
 * Test helpers that read the pictures back: a small XML well-formedness check (balanced,
 * properly nested tags, quoted attributes, known entities) and a PNG reader that checks every
 * chunk's CRC and inflates the image data to the size its header states.
 */
import { crc32, inflateSync } from "node:zlib"

/** Problems in an XML document; empty when it is well-formed. Also returns every text node. */
export const checkXml = (xml: string): { readonly problems: ReadonlyArray<string>; readonly texts: ReadonlyArray<string>; readonly root: string } => {
  const problems: Array<string> = []
  const texts: Array<string> = []
  const stack: Array<string> = []
  let root = ""
  const name = "[A-Za-z_:][-A-Za-z0-9_:.]*"
  const tag = new RegExp(`^<(/?)(${name})((?:\\s+${name}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`)
  const badEntity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/
  let i = xml.startsWith("<?xml") ? xml.indexOf("?>") + 2 : 0
  while (i < xml.length) {
    const lt = xml.indexOf("<", i)
    const text = xml.slice(i, lt < 0 ? xml.length : lt)
    if (text.trim() !== "") {
      if (stack.length === 0) problems.push(`text outside the root: ${text.slice(0, 40)}`)
      if (badEntity.test(text)) problems.push(`bad entity in text: ${text.slice(0, 40)}`)
      texts.push(text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&#39;|&apos;/g, "'").replace(/&amp;/g, "&"))
    }
    if (lt < 0) break
    if (xml.startsWith("<!--", lt)) {
      i = xml.indexOf("-->", lt) + 3
      continue
    }
    const m = tag.exec(xml.slice(lt))
    if (m === null) {
      problems.push(`malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`)
      break
    }
    const [whole, closing, tagName, attrs, selfClosing] = m
    if (badEntity.test(attrs!)) problems.push(`bad entity in attributes of <${tagName}>`)
    if (closing === "/") {
      const open = stack.pop()
      if (open !== tagName) problems.push(`</${tagName}> closes <${open}>`)
    } else {
      if (stack.length === 0) {
        if (root !== "") problems.push(`second root <${tagName}>`)
        root = tagName!
      }
      if (selfClosing !== "/") stack.push(tagName!)
    }
    i = lt + whole.length
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`)
  return { problems, texts, root }
}

/** The header of a PNG whose chunks all check out and whose pixels inflate to the stated size. */
export const readPng = (data: Uint8Array): { readonly width: number; readonly height: number; readonly colorType: number } => {
  const buf = Buffer.from(data)
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error("not a PNG signature")
  let at = 8
  let header: { width: number; height: number; bitDepth: number; colorType: number } | undefined
  const idat: Array<Buffer> = []
  let ended = false
  while (at < buf.length) {
    const length = buf.readUInt32BE(at)
    const type = buf.subarray(at + 4, at + 8).toString("latin1")
    const body = buf.subarray(at + 8, at + 8 + length)
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== buf.readUInt32BE(at + 8 + length)) throw new Error(`bad CRC in ${type}`)
    if (type === "IHDR") header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8]!, colorType: body[9]! }
    if (type === "IDAT") idat.push(body)
    if (type === "IEND") ended = true
    at += 12 + length
  }
  if (header === undefined || !ended) throw new Error("missing IHDR or IEND")
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[header.colorType]
  if (channels === undefined || header.bitDepth !== 8) throw new Error(`unexpected colour type ${header.colorType} / depth ${header.bitDepth}`)
  const pixels = inflateSync(Buffer.concat(idat))
  // one filter byte per scanline, then the samples
  if (pixels.length !== header.height * (1 + header.width * channels)) {
    throw new Error(`image data is ${pixels.length} bytes, not ${header.height} x (1 + ${header.width} x ${channels})`)
  }
  return { width: header.width, height: header.height, colorType: header.colorType }
}
