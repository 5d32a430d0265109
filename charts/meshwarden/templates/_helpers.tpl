{{/* Names. fullname is also the ValidatingWebhookConfiguration's name (helmTemplate()). */}}
{{- define "meshwarden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meshwarden.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "meshwarden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "meshwarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: meshwarden
{{- end }}

{{- define "meshwarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshwarden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meshwarden.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meshwarden.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The leader election Lease (its get/update are restricted to this name). */}}
{{- define "meshwarden.leaseName" -}}
{{- printf "%s-controller" (include "meshwarden.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret the replicas share the operator-generated webhook certificate through. */}}
{{- define "meshwarden.webhookTlsSecret" -}}
{{- printf "%s-webhook-tls" (include "meshwarden.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The cert-manager Certificate and its Secret (named in helmTemplate()'s inject-ca-from). */}}
{{- define "meshwarden.servingCert" -}}
{{- printf "%s-serving-cert" (include "meshwarden.fullname" .) }}
{{- end }}

{{- define "meshwarden.webhookService" -}}
{{- printf "%s-webhook" (include "meshwarden.fullname" .) }}
{{- end }}

{{- define "meshwarden.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Namespaces of the rate limit service's ConfigMaps: the listed ones plus the namespace of
rateLimitService.address (its host's second label, as the operator derives it).
*/}}
{{- define "meshwarden.rlsNamespaces" -}}
{{- $out := .Values.rateLimitService.configMapNamespaces }}
{{- with .Values.rateLimitService.address }}
{{- $host := splitList "." (first (splitList ":" .)) }}
{{- if gt (len $host) 1 }}{{ $out = append $out (index $host 1) }}{{ end }}
{{- end }}
{{- $out | uniq | toJson }}
{{- end }}

{{/* A duration such as 4s or 500ms, in milliseconds. */}}
{{- define "meshwarden.durationMs" -}}
{{- $d := toString . }}
{{- if hasSuffix "ms" $d }}{{ trimSuffix "ms" $d | float64 }}{{ else if hasSuffix "s" $d }}{{ mulf (trimSuffix "s" $d | float64) 1000 }}{{ end }}
{{- end }}

{{/* A memory quantity in Mi or Gi, in MiB; empty for any other unit (then nothing is checked). */}}
{{- define "meshwarden.mebibytes" -}}
{{- $q := toString . }}
{{- if regexMatch "^[0-9]+Gi$" $q }}{{ mul (trimSuffix "Gi" $q | int) 1024 }}{{ else if regexMatch "^[0-9]+Mi$" $q }}{{ trimSuffix "Mi" $q | int }}{{ end }}
{{- end }}
