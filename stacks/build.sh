#!/usr/bin/env bash
# The build step of the delivery pipeline. CodeBuild runs it (embedded in the buildspec) with:
#   CODEBUILD_RESOLVED_SOURCE_VERSION  the commit id (S3 source: the object's version id)
#   AWS_DEFAULT_REGION                 set by CodeBuild
#   REPOSITORY_URI, DOCKERFILE, BUILD_CONTEXT, TASKDEF_JSON, APPSPEC_JSON  set on the project
# and writes the three files the CodeDeployToECS action reads. With deployment.engine "ecs"
# the project has no TASKDEF_JSON and APPSPEC_JSON (the two files stay empty and are not
# artifacts): the release reads the image from imageDetail.json.
set -euo pipefail

revision="${CODEBUILD_RESOLVED_SOURCE_VERSION:?CodeBuild resolved no source revision}"
# The tag is derived from the whole revision, never a mutable tag such as latest: the
# repository's tags are immutable, so a tag names one image forever and a rollback restores
# exactly it. A commit id is a valid Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) and is used
# as it is; an S3 version id may hold other characters (and its first characters are not
# unique), so it becomes "s3-" and the SHA-256 of the whole id.
if [[ "$revision" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  image_tag="$revision"
else
  image_tag="s3-$(printf '%s' "$revision" | sha256sum | cut -c1-64)"
fi
image_uri="${REPOSITORY_URI}:${image_tag}"
registry="${REPOSITORY_URI%%/*}"
repository="${REPOSITORY_URI#*/}"

if aws ecr describe-images --repository-name "$repository" \
    --image-ids "imageTag=${image_tag}" >/dev/null 2>&1; then
  # A re-run for the same commit: the image exists and cannot be pushed again.
  echo "Image ${image_uri} exists already; deploying it again."
else
  aws ecr get-login-password --region "$AWS_DEFAULT_REGION" |
    docker login --username AWS --password-stdin "$registry"
  docker build --file "$DOCKERFILE" --tag "$image_uri" "$BUILD_CONTEXT"
  docker push "$image_uri"
fi

printf '{"ImageURI": "%s"}\n' "$image_uri" > imageDetail.json
printf '%s\n' "${TASKDEF_JSON-}" > taskdef.json
printf '%s\n' "${APPSPEC_JSON-}" > appspec.json
