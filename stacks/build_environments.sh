#!/usr/bin/env bash
# The build step's end in a promotion, run right after build.sh in the same shell (so
# `repository`, `image_tag` and `image_uri` are build.sh's). The project sets ENVIRONMENTS (their
# names, in order) and, for the n-th, TASKDEF_JSON_n and APPSPEC_JSON_n; each environment gets
# taskdef-<name>.json and appspec-<name>.json, and imageDetail.json names the image by its
# digest: every environment runs exactly the image the one before it ran (a tag is a name,
# the digest is the content).
set -euo pipefail
: "${repository:?}" "${image_tag:?}" "${image_uri:?}" "${ENVIRONMENTS:?}"

digest="$(aws ecr describe-images --repository-name "$repository" \
  --image-ids "imageTag=${image_tag}" --query 'imageDetails[0].imageDigest' --output text)"
if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "No digest for ${image_uri}: ${digest}" >&2
  exit 1
fi
printf '{"ImageURI": "%s"}\n' "${REPOSITORY_URI}@${digest}" > imageDetail.json
index=0
for environment in $ENVIRONMENTS; do
  index=$((index + 1))
  taskdef="TASKDEF_JSON_${index}"
  appspec="APPSPEC_JSON_${index}"
  printf '%s\n' "${!taskdef}" > "taskdef-${environment}.json"
  printf '%s\n' "${!appspec}" > "appspec-${environment}.json"
done
