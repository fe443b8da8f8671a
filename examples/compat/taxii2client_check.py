#!/usr/bin/env python3
# Exercise a ctifeed TAXII server with the OASIS taxii2-client (Python): discovery, API root,
# collections, paging with as_pages, manifest, object, versions, POST with status, DELETE,
# and an anonymous read of a public collection.
import json, sys, uuid, datetime
from taxii2client.v21 import Server, as_pages, Collection

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
server = Server(base + "/taxii2/", user="analyst", password="analyst-demo-password")
print("server:", server.title, "api roots:", [r.url for r in server.api_roots])
root = server.default
print("root:", root.title, root.versions, root.max_content_length)
cols = {c.alias or c.id: c for c in root.collections}
for c in root.collections:
    print("  collection", c.id, c.title, "read", c.can_read, "write", c.can_write, c.media_types)
ind = cols["indicators"]
total, pages = 0, 0
for env in as_pages(ind.get_objects, per_request=100):
    pages += 1
    total += len(env.get("objects", []))
print("indicators via as_pages:", total, "objects in", pages, "pages")
man = ind.get_manifest(limit=5)
print("manifest first 5:", [m["id"][:20] for m in man.get("objects", [])], "more", man.get("more"))
first = man["objects"][0]["id"]
obj = ind.get_object(first)
print("get_object:", obj["objects"][0]["id"] == first)
vers = ind.object_versions(first)
print("versions:", vers.get("versions"))
inbox = cols["inbox"]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
new = {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + str(uuid.uuid4()),
       "created": now, "modified": now, "name": "from taxii2-client", "pattern": "[domain-name:value = 'py.example']",
       "pattern_type": "stix", "valid_from": now}
bundle = {"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [new]}
status = inbox.add_objects(json.dumps(bundle))
print("add_objects status:", status.status, status.total_count, status.success_count, status.failure_count)
back = inbox.get_object(new["id"])
print("read back:", back["objects"][0]["name"])
inbox.delete_object(new["id"])
try:
    inbox.get_object(new["id"])
    print("after delete: still there")
except Exception as e:
    print("after delete:", type(e).__name__, str(e)[:80])
# anonymous on the public collection
pub = Collection(base + "/taxii2/demo/collections/5c7e9a1b-3d5f-4a6b-8c9d-e0f1a2b3c4d5/")
print("public anonymous objects:", len(pub.get_objects(limit=10).get("objects", [])))
