/** The keys `report access` sorts regions by (damo's `--sort_regions_by`); dependency-free for the flag parser. */
export const sortKeys = ["address", "access_rate", "age", "size", "temperature"] as const

/** A sort key. */
export type SortKey = (typeof sortKeys)[number]
