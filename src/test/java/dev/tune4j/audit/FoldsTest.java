package dev.tune4j.audit;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FoldsTest {
    private static int[] labels() {
        int[] y = new int[103];
        for (int i = 0; i < y.length; i++) y[i] = i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2;   // 70% / 20% / 10%
        return y;
    }

    @Test
    void everyRowIsHeldOutExactlyOnceAndEachFoldKeepsTheClassShares() {
        int[] y = labels();
        Folds f = Folds.stratified(y, 3, 5, 7);
        int[] seen = new int[y.length];
        for (int k = 0; k < 5; k++) {
            int[] held = f.heldOut(k), train = f.training(k);
            assertEquals(y.length, held.length + train.length);
            assertTrue(held.length == 20 || held.length == 21, "fold " + k + " holds " + held.length);
            for (int i : held) seen[i]++;
            for (int i : train) assertFalse(Arrays.stream(held).anyMatch(h -> h == i), "row " + i + " both trains and is held out");
            long ones = Arrays.stream(held).filter(i -> y[i] == 1).count();
            assertTrue(ones >= 4 && ones <= 5, "class 1 is 20% of the rows, fold " + k + " holds " + ones + " of " + held.length);
        }
        for (int s : seen) assertEquals(1, s);
    }

    @Test
    void theDealIsFixedByTheSeed() {
        int[] y = labels();
        assertArrayEquals(Folds.stratified(y, 3, 5, 7).heldOut(2), Folds.stratified(y, 3, 5, 7).heldOut(2));
        assertFalse(Arrays.equals(Folds.stratified(y, 3, 5, 7).heldOut(2), Folds.stratified(y, 3, 5, 8).heldOut(2)));
    }

    @Test
    void tooFewRowsOrFoldsAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Folds.stratified(new int[] {0, 1}, 2, 1, 1)).getMessage().contains("at least 2 folds"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Folds.stratified(new int[] {0, 1}, 2, 3, 1)).getMessage().contains("cannot fill 3 folds"));
    }
}
