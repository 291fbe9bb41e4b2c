/** The hospital edge agent (picocli): enroll, contribute task vectors, watch rounds, install merged models. */
package io.fedmerge.edge;
