package io.fedmerge.core.align;

/**
 * Exact minimum-cost assignment of an n×n cost matrix (Hungarian method with potentials, in the shortest
 * augmenting-path form of Jonker and Volgenant): O(n³), exact for any real costs. Used for head alignment, where
 * n ≤ 128, so the cubic cost is negligible next to reading the weights.
 */
public final class Assignment {
    private Assignment() {}

    /** Returns {@code col} with {@code col[row]} the column assigned to each row, minimising Σ cost[row][col[row]]. */
    public static int[] solve(double[][] cost) {
        int n = cost.length;
        for (double[] row : cost) {
            if (row.length != n) {
                throw new IllegalArgumentException("cost matrix must be square, found " + n + "x" + row.length);
            }
        }
        // 1-based potentials u (rows) and v (columns); p[j] = row matched to column j; way[] remembers the path.
        double[] u = new double[n + 1];
        double[] v = new double[n + 1];
        int[] p = new int[n + 1];
        int[] way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            boolean[] used = new boolean[n + 1];
            java.util.Arrays.fill(minv, Double.POSITIVE_INFINITY);
            do {
                used[j0] = true;
                int i0 = p[j0];
                double delta = Double.POSITIVE_INFINITY;
                int j1 = -1;
                for (int j = 1; j <= n; j++) {
                    if (used[j]) {
                        continue;
                    }
                    double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] col = new int[n];
        for (int j = 1; j <= n; j++) {
            col[p[j] - 1] = j - 1;
        }
        return col;
    }

    public static double cost(double[][] cost, int[] col) {
        double sum = 0;
        for (int i = 0; i < col.length; i++) {
            sum += cost[i][col[i]];
        }
        return sum;
    }
}
