/**
 * The few xDS messages the syncz query needs, as a protobufjs schema of only the fields we
 * read or write. Field numbers are Envoy's (api/envoy/service/discovery/v3/discovery.proto,
 * service/status/v3/csds.proto, admin/v3/config_dump_shared.proto, config/core/v3/base.proto);
 * messages.test.ts checks every one against the full Envoy descriptor set when
 * `.tools/protos/envoy-1.39.pb` exists.
 *
 * Why not load that descriptor set: it is tens of megabytes of reflection objects, built only by
 * `npm run setup` with Go; the operator would then need it at run time for five messages.
 * Protobuf decoding skips fields a schema does not declare, so the subset reads the full messages.
 */
import protobuf from 'protobufjs';

const timestamp = { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } };

export const xdsRoot = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Timestamp: timestamp,
            // A map field (keyType) is an IMapField, which the IType typing of fromJSON's argument does not admit.
            Struct: { fields: { fields: { keyType: 'string', type: 'Value', id: 1 } as protobuf.IField } },
            Value: {
              oneofs: { kind: { oneof: ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'] } },
              fields: {
                null_value: { type: 'NullValue', id: 1 },
                number_value: { type: 'double', id: 2 },
                string_value: { type: 'string', id: 3 },
                bool_value: { type: 'bool', id: 4 },
                struct_value: { type: 'Struct', id: 5 },
                list_value: { type: 'ListValue', id: 6 },
              },
            },
            NullValue: { values: { NULL_VALUE: 0 } },
            ListValue: { fields: { values: { rule: 'repeated', type: 'Value', id: 1 } } },
          },
        },
        rpc: { nested: { Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } } } },
      },
    },
    envoy: {
      nested: {
        config: {
          nested: {
            core: {
              nested: {
                v3: {
                  nested: {
                    Node: { fields: { id: { type: 'string', id: 1 }, cluster: { type: 'string', id: 2 }, metadata: { type: 'google.protobuf.Struct', id: 3 } } },
                  },
                },
              },
            },
          },
        },
        admin: {
          nested: {
            v3: {
              nested: {
                UpdateFailureState: {
                  fields: {
                    last_update_attempt: { type: 'google.protobuf.Timestamp', id: 2 },
                    details: { type: 'string', id: 3 },
                  },
                },
              },
            },
          },
        },
        service: {
          nested: {
            discovery: {
              nested: {
                v3: {
                  nested: {
                    DiscoveryRequest: {
                      fields: {
                        version_info: { type: 'string', id: 1 },
                        node: { type: 'envoy.config.core.v3.Node', id: 2 },
                        resource_names: { rule: 'repeated', type: 'string', id: 3 },
                        type_url: { type: 'string', id: 4 },
                        response_nonce: { type: 'string', id: 5 },
                        error_detail: { type: 'google.rpc.Status', id: 6 },
                      },
                    },
                    DiscoveryResponse: {
                      fields: {
                        version_info: { type: 'string', id: 1 },
                        resources: { rule: 'repeated', type: 'google.protobuf.Any', id: 2 },
                        type_url: { type: 'string', id: 4 },
                        nonce: { type: 'string', id: 5 },
                      },
                    },
                  },
                },
              },
            },
            status: {
              nested: {
                v3: {
                  nested: {
                    ConfigStatus: { values: { UNKNOWN: 0, SYNCED: 1, NOT_SENT: 2, STALE: 3, ERROR: 4 } },
                    ClientConfig: {
                      fields: {
                        node: { type: 'envoy.config.core.v3.Node', id: 1 },
                        generic_xds_configs: { rule: 'repeated', type: 'GenericXdsConfig', id: 3 },
                      },
                      nested: {
                        GenericXdsConfig: {
                          fields: {
                            type_url: { type: 'string', id: 1 },
                            last_updated: { type: 'google.protobuf.Timestamp', id: 5 },
                            config_status: { type: 'ConfigStatus', id: 6 },
                            error_state: { type: 'envoy.admin.v3.UpdateFailureState', id: 8 },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});

export const DiscoveryRequest = xdsRoot.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
export const DiscoveryResponse = xdsRoot.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
export const ClientConfig = xdsRoot.lookupType('envoy.service.status.v3.ClientConfig');
export const clientConfigTypeUrl = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';

/** The plain-object shapes of the messages above (`toObject` with `longs: Number, enums: String`). */
export interface TimestampObject {
  seconds?: number;
  nanos?: number;
}
export type ConfigStatus = 'UNKNOWN' | 'SYNCED' | 'NOT_SENT' | 'STALE' | 'ERROR';
export interface GenericXdsConfigObject {
  type_url?: string;
  last_updated?: TimestampObject;
  config_status?: ConfigStatus;
  error_state?: { last_update_attempt?: TimestampObject; details?: string };
}
export interface ValueObject {
  string_value?: string;
  number_value?: number;
  bool_value?: boolean;
  struct_value?: { fields?: Record<string, ValueObject> };
}
export interface ClientConfigObject {
  node?: { id?: string; metadata?: { fields?: Record<string, ValueObject> } };
  generic_xds_configs?: GenericXdsConfigObject[];
}

export const toObjectOptions = { longs: Number, enums: String, defaults: false } as const;

export function timestampMs(t: TimestampObject | undefined): number | undefined {
  if (!t || (t.seconds === undefined && t.nanos === undefined)) return undefined;
  return (t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** A protobuf Struct holding only string values (node metadata). */
export function stringStruct(values: Record<string, string>): { fields: Record<string, { string_value: string }> } {
  return { fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { string_value: v }])) };
}
