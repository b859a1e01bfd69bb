/**
 * What one Table Storage property may hold. A string property is at most 64 KiB, counted in UTF-16 — two
 * bytes per code unit, which is what a JavaScript string's `length` counts — so 32,768 code units
 * ("Property types", https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model).
 * A longer value is refused with PropertyValueTooLarge and the whole write fails.
 */
export const MAX_STRING_PROPERTY_BYTES = 64 * 1024;

/**
 * The JSON array of the leading items that fit in `maxBytes` as Table Storage counts them. Bounded by
 * bytes, not by count: one subject full of escaped control characters (`\u0001` is six characters) can
 * outweigh a hundred ordinary ones.
 */
export function jsonArrayWithin(items: Iterable<unknown>, maxBytes = MAX_STRING_PROPERTY_BYTES): string {
    const parts: string[] = [];
    let length = 2; // the brackets
    for (const item of items) {
        const part = JSON.stringify(item);
        const added = part.length + (parts.length > 0 ? 1 : 0);
        if (2 * (length + added) > maxBytes) break; // UTF-16: two bytes per code unit
        parts.push(part);
        length += added;
    }
    return `[${parts.join(',')}]`;
}
