package io.fedmerge.core.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a {@code models[].model} entry points: a checkpoint, a task vector or an adapter directory, or mergekit's
 * {@code MODEL+ADAPTER} form (the adapter applied to that model). A path that exists as written is taken as it is,
 * so a directory whose name contains '+' still works; otherwise the first '+' whose two sides both exist splits it.
 *
 * @param adapter the adapter of the {@code MODEL+ADAPTER} form, else null
 */
public record ModelReference(Path model, Path adapter) {

    public static ModelReference resolve(MergeConfig config, String written) {
        Path whole = config.resolve(written);
        if (Files.exists(whole) || written.indexOf('+') < 0) {
            return new ModelReference(whole, null);
        }
        for (int at = written.indexOf('+'); at >= 0; at = written.indexOf('+', at + 1)) {
            Path model = config.resolve(written.substring(0, at));
            Path adapter = config.resolve(written.substring(at + 1));
            if (at > 0 && at < written.length() - 1 && Files.exists(model) && Files.isDirectory(adapter)) {
                return new ModelReference(model, adapter);
            }
        }
        throw new ConfigException("model '" + written + "' does not exist, and no split of it at '+' names an"
                + " existing MODEL+ADAPTER pair (mergekit's form: path/to/model+path/to/adapter)");
    }
}
