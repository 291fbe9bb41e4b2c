package io.fedmerge.hub.console;

import io.fedmerge.hub.security.AuthProperties;
import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ResponseBody;

/**
 * The web console at {@code /console/}: static files (index.html, console.js, console.css under
 * {@code static/console}) that work on the admin API with the signed-in admin's token. The page holds no data; what
 * an admin sees and may do is what the API answers for that token.
 */
@Controller
@Hidden // the console's files, not part of the admin API its OpenAPI document describes
class ConsoleController {
    private final AuthProperties auth;

    ConsoleController(AuthProperties auth) {
        this.auth = auth;
    }

    /** The page's links are relative to the directory, so {@code /console} moves to {@code /console/}. */
    @GetMapping("/console")
    String directory() {
        return "redirect:/console/";
    }

    @GetMapping("/console/")
    String page() {
        return "forward:/console/index.html";
    }

    /** Where the console signs admins in: the issuer and the public client id, or nothing when OIDC is off. */
    record SignIn(String issuer, String clientId) {}

    @GetMapping(path = "/console/sign-in.json", produces = MediaType.APPLICATION_JSON_VALUE)
    @ResponseBody
    SignIn signIn() {
        AuthProperties.Oidc oidc = auth.oidc();
        return oidc.enabled() ? new SignIn(oidc.issuerUri(), oidc.consoleClient()) : new SignIn(null, null);
    }
}
