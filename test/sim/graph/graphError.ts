/** An error a handler throws to answer with Graph's error shape. */
export class GraphError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
        readonly headers: Record<string, string> = {},
        /** Extra innerError fields, e.g. the ones Graph adds to a 429. */
        readonly innerError: Record<string, string> = {},
    ) {
        super(message);
    }
}

export const notFound = (): GraphError =>
    new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export const malformedId = (): GraphError => new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

export const notSimulated = (what: string): GraphError =>
    new GraphError(400, 'BadRequest', `The tenant simulator does not implement ${what}.`);
