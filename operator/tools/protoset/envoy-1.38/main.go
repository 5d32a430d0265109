// Command protoset-envoy-1.38 writes the FileDescriptorSet of Envoy 1.38's API
// (github.com/envoyproxy/go-control-plane/envoy v1.38.0). Built by scripts/build-protosets.sh.
package main

import "meshwarden.io/tools/protoset"

func main() { protoset.Main("1.38") }
