// Command protoset-envoy-1.39 writes the FileDescriptorSet of Envoy 1.39's API
// (github.com/envoyproxy/go-control-plane/envoy v1.39.0). Built by scripts/build-protosets.sh.
package main

import "meshwarden.io/tools/protoset"

func main() { protoset.Main("1.39") }
