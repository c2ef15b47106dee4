{{/* The release's base name. */}}
{{- define "portcullis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "component" is gateway or injector. */}}
{{- define "portcullis.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "portcullis.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portcullis.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The pod and container security settings of every portcullis container. */}}
{{- define "portcullis.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "portcullis.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The injection webhook's options (inject.yaml). */}}
{{- define "portcullis.injectOptions" -}}
image: {{ include "portcullis.image" . }}
image_pull_policy: {{ .Values.image.pullPolicy }}
port: {{ .Values.injector.sidecar.port }}
admin_port: {{ .Values.injector.sidecar.adminPort }}
{{- $native := .Values.injector.sidecar.nativeSidecars }}
{{- if not (kindIs "bool" $native) }}
{{- $native = semverCompare ">=1.29.0-0" .Capabilities.KubeVersion.Version }}
{{- end }}
native_sidecars: {{ $native }}
resources:
  {{- toYaml .Values.injector.sidecar.resources | nindent 2 }}
{{- end -}}
