/**
 * `effect-damon/damo`: damo's files, both ways: the kdamonds JSON (`damo args damon --format
 * json`) to and from configs, and `json_compressed` record files of monitoring snapshots.
 *
 * @since 0.2.0
 */

/** damo's kdamonds JSON in: configs to start, with every unsupported or ignored field reported. */
export * as KdamondsJson from "./KdamondsJson.ts"
/** damo's kdamonds JSON out, in damo's human or raw value style. */
export * as KdamondsJsonWrite from "./KdamondsJsonWrite.ts"
/** damo's record model: records of snapshots, from the kdamond's `Aggregated` events. */
export * as Record from "./Record.ts"
/** Reading and writing record files (`json_compressed` or plain JSON), streamed. */
export * as RecordFile from "./RecordFile.ts"
/** damo's value syntax: sizes (`4 KiB`), times (`5 ms`), `max`, percentages. */
export * as DamoValues from "./DamoValues.ts"
