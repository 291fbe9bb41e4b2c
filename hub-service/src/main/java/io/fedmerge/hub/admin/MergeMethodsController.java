package io.fedmerge.hub.admin;

import io.fedmerge.core.method.MethodRegistry;
import io.fedmerge.core.method.ParameterSpec;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The merge methods a round may use and each one's parameters, as merge-core defines and checks them: the console
 * builds its round form from this, so the form asks exactly what round creation validates.
 */
@RestController
@RequestMapping("/api/v1/merge-methods")
@SecurityRequirement(name = OpenApiSecurity.SCHEME)
class MergeMethodsController {
    private final MethodRegistry registry = new MethodRegistry();

    /**
     * @param scope GLOBAL (one value for the round: the request's {@code parameters}) or PER_MODEL (applied to every
     *     contribution: {@code modelParameters})
     * @param defaultValue null when the parameter is required
     * @param range what a value must satisfy, in words
     */
    record Parameter(String name, ParameterSpec.Scope scope, ParameterSpec.Kind kind, Object defaultValue,
            boolean required, String range, List<String> choices) {}

    record Method(String name, List<Parameter> parameters) {}

    @GetMapping
    List<Method> methods() {
        return registry.names().stream().map(n -> new Method(n, registry.get(n).parameters().stream()
                .map(p -> new Parameter(p.name(), p.scope(), p.kind(), p.defaultValue(), p.required(), p.rangeText(),
                        p.choices())).toList())).toList();
    }
}
