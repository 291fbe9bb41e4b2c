package io.fedmerge.edge.cli;

import io.fedmerge.edge.CertificateRenewer;
import io.fedmerge.edge.EdgeConfig;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tools.jackson.databind.node.ObjectNode;

@Command(name = "renew", mixinStandardHelpOptions = true,
        description = "Renew this node's client certificate now (mutual TLS). Every other command renews it by"
                + " itself once two thirds of its lifetime have passed.")
final class RenewCommand implements Callable<Integer> {
    @Mixin
    EdgeOptions options;

    @Override
    public Integer call() {
        EdgeConfig renewed = CertificateRenewer.renew(options.load(), options.configPath(), Instant.now());
        Instant until = renewed.identity().expiresAt();
        if (options.json) {
            ObjectNode o = Output.object();
            o.put("client_certificate", renewed.clientCertificate());
            o.put("not_after", until.toString());
            Output.print(o);
        } else {
            System.out.printf("new client certificate %s, valid until %s%n", renewed.clientCertificate(), until);
        }
        return 0;
    }
}
