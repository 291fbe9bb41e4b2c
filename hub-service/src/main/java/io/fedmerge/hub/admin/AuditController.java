package io.fedmerge.hub.admin;

import io.fedmerge.hub.AuditEntry;
import io.fedmerge.hub.AuditFilter;
import io.fedmerge.hub.AuditLog;
import io.fedmerge.hub.HubException;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit log over the admin API: pages of entries, newest first, filtered by actor, action, subject and time
 * ({@code GET /api/v1/audit}), and the whole matching log as JSON lines for a SIEM ({@code GET /api/v1/audit/export}).
 */
@RestController
@RequestMapping("/api/v1/audit")
@SecurityRequirement(name = OpenApiSecurity.SCHEME)
class AuditController {
    private static final int MAX_PAGE = 1000;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    /** @param next the {@code before} to ask for the following (older) page, or null on the last one */
    record Page(List<AuditEntry> entries, Long next) {}

    @GetMapping
    Page page(@RequestParam(required = false) String actor, @RequestParam(required = false) String action,
            @RequestParam(required = false) String subject, @RequestParam(required = false) String since,
            @RequestParam(required = false) String until, @RequestParam(defaultValue = "100") int limit,
            @RequestParam(required = false) Long before) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw HubException.invalid("bad_request", "limit must be 1.." + MAX_PAGE + ", found " + limit);
        }
        List<AuditEntry> entries = audit.page(filter(actor, action, subject, since, until), limit + 1, before);
        boolean more = entries.size() > limit;
        List<AuditEntry> shown = more ? entries.subList(0, limit) : entries;
        return new Page(shown, more ? shown.getLast().id() : null);
    }

    @GetMapping("/export")
    ResponseEntity<StreamingResponseBody> export(@RequestParam(required = false) String actor,
            @RequestParam(required = false) String action, @RequestParam(required = false) String subject,
            @RequestParam(required = false) String since, @RequestParam(required = false) String until) {
        AuditFilter filter = filter(actor, action, subject, since, until);
        StreamingResponseBody body = out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            audit.forEach(filter, e -> {
                try {
                    w.write(JSON.writeValueAsString(e));
                    w.write('\n');
                } catch (java.io.IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
            w.flush();
        };
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/x-ndjson"))
                .header("Content-Disposition", "attachment; filename=fedmerge-audit.jsonl").body(body);
    }

    private static AuditFilter filter(String actor, String action, String subject, String since, String until) {
        return new AuditFilter(blankToNull(actor), blankToNull(action), blankToNull(subject), instant(since, "since"),
                instant(until, "until"));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Instant instant(String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw HubException.invalid("bad_request", name + " must be an ISO-8601 instant such as"
                    + " 2026-12-01T00:00:00Z");
        }
    }
}
