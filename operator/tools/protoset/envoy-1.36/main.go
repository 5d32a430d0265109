// Command protoset-envoy-1.36 writes the FileDescriptorSet of Envoy 1.36's API
// (github.com/envoyproxy/go-control-plane/envoy v1.36.0). Built by scripts/build-protosets.sh.
package main

import "meshwarden.io/tools/protoset"

func main() { protoset.Main("1.36") }
