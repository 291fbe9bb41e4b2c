package io.fedmerge.hub.admin;

import io.fedmerge.core.method.UnitReport;
import io.fedmerge.hub.HubException;
import io.fedmerge.hub.model.BaseModel;
import io.fedmerge.hub.model.BaseModelRegistry;
import io.fedmerge.hub.model.BaseUploads;
import io.fedmerge.hub.node.Node;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.pki.NodeCertificates;
import io.fedmerge.hub.round.Artifact;
import io.fedmerge.hub.round.Evaluations;
import io.fedmerge.hub.round.Round;
import io.fedmerge.hub.round.RoundRequest;
import io.fedmerge.hub.round.RoundService;
import io.fedmerge.hub.round.UnitReports;
import io.fedmerge.hub.security.AdminRole;
import io.fedmerge.hub.security.Caller;
import io.fedmerge.hub.transfer.UploadService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The admin REST API (/api/v1): enrollment tokens, nodes, base models, rounds and their artifacts. Every request
 * reaching it has passed the security filter chain, which checked the caller's role for the operation; here a site
 * admin is narrowed to its own site's records. The authenticated principal is the actor in the audit log.
 */
@RestController
@RequestMapping("/api/v1")
@SecurityRequirement(name = OpenApiSecurity.SCHEME)
class AdminController {
    private static final int MAX_NOTE = 200;
    private final NodeRegistry nodes;
    private final BaseModelRegistry bases;
    private final RoundService rounds;
    private final NodeCertificates certificates;
    private final UploadService uploads;
    private final Evaluations evaluations;
    private final UnitReports unitReports;
    private final RoundAccess access;
    private final BaseUploads baseUploads;

    AdminController(NodeRegistry nodes, BaseModelRegistry bases, RoundService rounds, NodeCertificates certificates,
            UploadService uploads, Evaluations evaluations, UnitReports unitReports, RoundAccess access,
            BaseUploads baseUploads) {
        this.access = access;
        this.baseUploads = baseUploads;
        this.evaluations = evaluations;
        this.unitReports = unitReports;
        this.nodes = nodes;
        this.bases = bases;
        this.rounds = rounds;
        this.certificates = certificates;
        this.uploads = uploads;
    }

    /** @param roles the caller's fedmerge roles as the identity provider names them */
    record Me(String name, List<String> roles, String site) {}

    /** Who the hub takes the caller for: the console shows it, a script can check its token with it. */
    @GetMapping("/me")
    Me me(Authentication who) {
        Caller c = Caller.of(who);
        return new Me(c.name(), c.roles().stream().sorted().map(AdminRole::claimValue).toList(), c.site());
    }

    /** @param site the site whose node will enroll with it; a site admin's own site is implied (and the only one) */
    record TokenRequest(Integer ttlMinutes, String note, String site) {}

    @PostMapping("/enrollment-tokens")
    @ResponseStatus(HttpStatus.CREATED)
    NodeRegistry.IssuedToken createToken(@RequestBody(required = false) TokenRequest req, Authentication who) {
        int minutes = req == null || req.ttlMinutes() == null ? 60 * 24 : req.ttlMinutes();
        if (minutes < 1 || minutes > 60 * 24 * 30) {
            throw HubException.invalid("bad_ttl", "ttlMinutes must be between 1 and 43200, found " + minutes);
        }
        if (req != null && req.note() != null && req.note().length() > MAX_NOTE) {
            throw HubException.invalid("bad_note", "note is " + req.note().length() + " characters; at most "
                    + MAX_NOTE);
        }
        String asked = req == null ? null : req.site();
        Caller caller = Caller.of(who);
        String site = caller.writeScope().orElse(asked);
        if (asked != null && !asked.equals(site)) {
            throw HubException.denied("a site admin mints enrollment tokens for its own site only");
        }
        return nodes.issueToken(Duration.ofMinutes(minutes), req == null ? null : req.note(), site, who.getName());
    }

    @GetMapping("/enrollment-tokens")
    List<NodeRegistry.TokenInfo> tokens(Authentication who) {
        Caller caller = Caller.of(who);
        return nodes.tokens().stream().filter(t -> caller.sees(t.site())).toList();
    }

    @DeleteMapping("/enrollment-tokens/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revokeToken(@PathVariable String id, Authentication who) {
        // Another site's token is answered as if it did not exist: a site admin learns nothing about other sites.
        nodes.token(id).filter(t -> Caller.of(who).mayChange(t.site()))
                .orElseThrow(() -> HubException.notFound("no enrollment token " + id));
        nodes.revokeToken(id, who.getName());
    }

    @GetMapping("/nodes")
    List<Node> nodes(Authentication who) {
        Caller caller = Caller.of(who);
        return nodes.nodes().stream().filter(n -> caller.sees(n.site())).toList();
    }

    @DeleteMapping("/nodes/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revokeNode(@PathVariable String id, Authentication who) {
        nodeOf(id, who, Caller.of(who)::mayChange);
        nodes.revoke(id, who.getName());
        certificates.revokeAll(id, who.getName());
        uploads.discardOpenUploads(id);
    }

    /** Client certificates issued to a node (mutual TLS), oldest first. */
    @GetMapping("/nodes/{id}/certificates")
    List<NodeCertificates.Issued> nodeCertificates(@PathVariable String id, Authentication who) {
        nodeOf(id, who, Caller.of(who)::sees);
        return certificates.of(id);
    }

    /** Revokes one client certificate; the node's next call with it is refused, its other certificates still work. */
    @DeleteMapping("/certificates/{serial}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revokeCertificate(@PathVariable String serial, Authentication who) {
        NodeCertificates.Issued issued = certificates.find(serial)
                .orElseThrow(() -> HubException.notFound("no certificate with serial " + serial));
        nodeOf(issued.nodeId(), who, Caller.of(who)::mayChange);
        certificates.revoke(serial, who.getName());
    }

    /** The node, if this caller may see (or change) it; another site's node is answered as not found. */
    private Node nodeOf(String id, Authentication who, Predicate<String> allowedSite) {
        return nodes.node(id).filter(n -> allowedSite.test(n.site()))
                .orElseThrow(() -> HubException.notFound("no node " + id));
    }

    /**
     * @param path a checkpoint under the hub's models root, or
     * @param storeKey a directory under {@code models/} in the hub's blob store (a bucket the admin synced it to)
     */
    record BaseRequest(String name, String path, String storeKey) {}

    /** @param path relative to the models root */
    record BaseView(String id, String name, String path, String digest, int tensors) {
        static BaseView of(BaseModel m, BaseModelRegistry bases) {
            return new BaseView(m.id(), m.name(), bases.displayPath(m), m.digest(), m.tensors().size());
        }
    }

    private BaseView view(BaseModel m) {
        return BaseView.of(m, bases);
    }

    @PostMapping("/base-models")
    @ResponseStatus(HttpStatus.CREATED)
    BaseView registerBase(@RequestBody BaseRequest req, Authentication who) {
        if ((req.path() == null) == (req.storeKey() == null)) {
            throw HubException.invalid("bad_request", "give either 'path' (under the models root) or 'storeKey' (a"
                    + " directory under models/ in the hub's store)");
        }
        if (req.storeKey() != null) {
            return view(baseUploads.adopt(req.name(), req.storeKey(), who.getName()));
        }
        return view(bases.register(req.name(), req.path(), who.getName()));
    }

    @GetMapping("/base-models")
    List<BaseView> listBases() {
        return bases.list().stream().map(this::view).toList();
    }

    record RoundView(Round round, int contributions) {}

    @PostMapping("/rounds")
    @ResponseStatus(HttpStatus.CREATED)
    RoundView createRound(@RequestBody RoundRequest req, Authentication who) {
        Round r = rounds.create(req, who.getName());
        return new RoundView(r, 0);
    }

    @GetMapping("/rounds")
    List<RoundView> listRounds(Authentication who) {
        Caller caller = Caller.of(who);
        return rounds.list().stream().filter(r -> access.visible(r.id(), caller))
                .map(r -> new RoundView(r, rounds.contributions(r.id()))).toList();
    }

    @GetMapping("/rounds/{id}")
    RoundView round(@PathVariable String id, Authentication who) {
        return new RoundView(access.visibleRound(id, who), rounds.contributions(id));
    }


    @PostMapping("/rounds/{id}/trigger")
    RoundView trigger(@PathVariable String id, Authentication who) {
        return new RoundView(rounds.trigger(id, who.getName()), rounds.contributions(id));
    }

    /** Merges a FAILED round again from the contributions it already has. */
    @PostMapping("/rounds/{id}/retry")
    RoundView retry(@PathVariable String id, Authentication who) {
        return new RoundView(rounds.retry(id, who.getName()), rounds.contributions(id));
    }

    record PublishRequest(Integer candidate, String reason) {}

    /** Publishes a REJECTED round's candidate against the evaluation gate; the reason goes to the audit log. */
    @PostMapping("/rounds/{id}/publish")
    RoundView publishAnyway(@PathVariable String id, @RequestBody PublishRequest req, Authentication who) {
        if (req == null || req.candidate() == null) {
            throw HubException.invalid("bad_candidate", "give the candidate to publish (1-based) and a reason");
        }
        return new RoundView(evaluations.publishAnyway(id, req.candidate(), req.reason(), who.getName()),
                rounds.contributions(id));
    }

    @PostMapping("/rounds/{id}/cancel")
    RoundView cancel(@PathVariable String id, @RequestBody(required = false) Map<String, String> body,
            Authentication who) {
        return new RoundView(rounds.cancel(id, body == null ? null : body.get("reason"), who.getName()),
                rounds.contributions(id));
    }

    /** Who contributed what to a round (pseudonymous node ids, SHA-256s, sizes), oldest first. */
    @GetMapping("/rounds/{id}/contributions")
    List<RoundService.Contribution> contributions(@PathVariable String id, Authentication who) {
        access.visibleRound(id, who);
        return rounds.contributionList(id);
    }

    /**
     * The hierarchical method's report of a merged round: per unit (block or tensor) the mean cosine between the
     * hospitals' aligned updates and the weight the merge gave them (0 = reverted to the base). Empty for methods
     * that report none.
     */
    @GetMapping("/rounds/{id}/units")
    List<UnitReport> units(@PathVariable String id, Authentication who) {
        access.visibleRound(id, who);
        return unitReports.of(id);
    }

    @GetMapping("/rounds/{id}/artifact")
    Artifact artifact(@PathVariable String id, Authentication who) {
        Round r = access.visibleRound(id, who);
        if (r.artifact() == null) {
            throw HubException.precondition("not_published", "round " + id + " is " + r.state()
                    + "; no artifact yet");
        }
        return r.artifact();
    }
}
