/** The federation hub (Spring Boot): rounds, transfers, storage, admin API. Built in the federation issue. */
package io.fedmerge.hub;
