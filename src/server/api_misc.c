/* api_misc.c: the version probe and the OpenAPI schema endpoint. */
#include "server/openapi.h"
#include "server/server.h"

void api_version(struct api *a)
{
	api_reply(a, 200, json_pack("{s:s}", "version", "v0"));
}

void api_schema(struct api *a)
{
	api_reply(a, 200, openapi_document());
}
