// Command protoset-envoy-1.40 writes the FileDescriptorSet of Envoy 1.40's API
// (github.com/envoyproxy/go-control-plane/envoy v1.40.0). Built by scripts/build-protosets.sh.
package main

import "meshwarden.io/tools/protoset"

func main() { protoset.Main("1.40") }
