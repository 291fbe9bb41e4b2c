package io.fedmerge.hub.admin;

import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.model.BaseUpload;
import io.fedmerge.hub.model.BaseUploads;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Uploading a base checkpoint into the hub (for a hub whose disk admins cannot reach): open with the files' names,
 * sizes and SHA-256s, send each file (resumable: {@code PUT …/files/{file}?offset=N} appends at the bytes the hub
 * holds), complete. The CLI's {@code admin base-models upload} does all of it.
 */
@RestController
@RequestMapping("/api/v1/base-models/uploads")
@SecurityRequirement(name = OpenApiSecurity.SCHEME)
class BaseUploadController {
    private final BaseUploads uploads;
    private final BaseModelRegistry bases;

    BaseUploadController(BaseUploads uploads, BaseModelRegistry bases) {
        this.uploads = uploads;
        this.bases = bases;
    }

    record DeclaredFile(String file, Long bytes, String sha256) {}

    record OpenRequest(String name, List<DeclaredFile> files) {}

    /** Opens an upload, or resumes the open one of the same name and files (then the answer says what arrived). */
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    BaseUpload open(@RequestBody OpenRequest req, Authentication who) {
        if (req == null || req.files() == null) {
            throw HubException.invalid("bad_files", "give the base's name and its files (file, bytes, sha256)");
        }
        List<BaseUpload.File> files = req.files().stream().map(f -> new BaseUpload.File(f.file(),
                f.bytes() == null ? -1 : f.bytes(), f.sha256(), 0)).toList();
        return uploads.open(req.name(), files, who.getName());
    }

    @GetMapping("/{id}")
    BaseUpload status(@PathVariable String id) {
        return uploads.get(id);
    }

    /** Appends the body to one file at {@code offset} (the bytes the hub holds of it). */
    @PutMapping(path = "/{id}/files/{file}", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    BaseUpload.File send(@PathVariable String id, @PathVariable String file, @RequestParam long offset,
            HttpServletRequest request) {
        try {
            return uploads.append(id, file, offset, request.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks every file and registers the base; the answer is the base as {@code GET /base-models} lists it. */
    @PostMapping("/{id}/complete")
    @ResponseStatus(HttpStatus.CREATED)
    AdminController.BaseView complete(@PathVariable String id, Authentication who) {
        return AdminController.BaseView.of(uploads.complete(id, who.getName()), bases);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void abort(@PathVariable String id, Authentication who) {
        uploads.abort(id, who.getName());
    }
}
