/* openapi.h: the OpenAPI 3 document of the routing table (see openapi.c). */
#ifndef MP_SERVER_OPENAPI_H
#define MP_SERVER_OPENAPI_H

#include <jansson.h>

/* A new document (caller decrefs). */
json_t *openapi_document(void);

#endif
