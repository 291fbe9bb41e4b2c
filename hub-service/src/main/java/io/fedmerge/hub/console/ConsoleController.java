package io.fedmerge.hub.console;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The web console at {@code /console/}: static files (index.html, console.js, console.css under
 * {@code static/console}) that work on the admin API with the signed-in admin's token. The page holds no data; what
 * an admin sees and may do is what the API answers for that token.
 */
@Controller
class ConsoleController {
    /** The page's links are relative to the directory, so {@code /console} moves to {@code /console/}. */
    @GetMapping("/console")
    String directory() {
        return "redirect:/console/";
    }

    @GetMapping("/console/")
    String page() {
        return "forward:/console/index.html";
    }
}
